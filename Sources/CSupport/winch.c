#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "csupport.h"

// SIGWINCH may be delivered to any thread, so the UI thread's poll() would not see it. Our handler passes the
// signal on to the one installed before (ncurses') and writes a byte to a pipe the UI thread polls; woken, the UI
// reads the new size (TIOCGWINSZ) and redraws at once.
static int winch_fd = -1;
static struct sigaction winch_previous;

static void winch_handler(int sig) {
    void (*h)(int) = winch_previous.sa_handler;
    if (h != SIG_DFL && h != SIG_IGN && h != NULL) h(sig);
    if (winch_fd >= 0) {
        char b = 2;
        ssize_t n = write(winch_fd, &b, 1);
        (void)n;
    }
}

void r1_watch_resize(int fd) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = winch_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    winch_fd = fd;
    sigaction(SIGWINCH, &sa, &winch_previous);
}
