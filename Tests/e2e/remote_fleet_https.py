#!/usr/bin/env python3
"""remote_fleet.py over https: the same fleet (a server killed and one stopped gracefully mid-run, each started again;
streams a monitor cuts; a dead endpoint; no live one), every server behind a private CA made at test time; then the
client that does not trust it, and $SSL_CERT_FILE."""
import os
import runpy

os.environ["RANK1_FLEET_SCHEME"] = "https"
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "remote_fleet.py"), run_name="__main__")
