#!/usr/bin/env bash
# A private CA and a server certificate it signed (for 127.0.0.1 and localhost), made at test time in DIR: ca.pem,
# server.pem, server.key. For the https tests: servers use server.pem/.key, clients trust ca.pem only.
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
[ -s ca.pem ] && [ -s server.pem ] && [ -s server.key ] && exit 0
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj "/CN=rank1 test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req $ec -keyout server.key.tmp -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem.tmp -days 2 -extfile ext.cnf 2>/dev/null
# Last, and renamed into place: a run cut short leaves no half-made set that a later run would take as done.
mv server.key.tmp server.key
mv server.pem.tmp server.pem
