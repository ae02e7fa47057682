#include "csupport.h"
#include <sys/epoll.h>

// Swift's Glibc module does not export <sys/epoll.h> (and epoll_event is packed on x86-64), so the
// remote client reaches epoll through these three calls with a plain event struct.

int r1_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int r1_epoll_watch(int ep, int fd, int64_t id, int adding, int writing) {
    struct epoll_event e = {0};
    e.events = writing ? EPOLLOUT : EPOLLIN;
    e.data.u64 = (uint64_t)id;
    return epoll_ctl(ep, adding ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &e);
}

int r1_epoll_wait(int ep, int64_t *ids, int capacity, int timeout_ms) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int n = epoll_wait(ep, events, capacity, timeout_ms);
    for (int i = 0; i < n; i++) ids[i] = (int64_t)events[i].data.u64;
    return n;
}
