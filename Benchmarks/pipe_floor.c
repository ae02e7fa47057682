/* The serve protocol's floor: answers every query with 100 canned TREC lines at once, doing no search.
   Run as a peer beside the engines (Benchmarks/bm25_peers.sh), it measures what the harness's pipe round
   trip costs by itself, in the same run. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    char line[1 << 16], out[8192];
    int n = 0;
    for (int i = 0; i < 100; i++) n += snprintf(out + n, sizeof out - n, "q Q0 doc%d %d 12.345678 floor\n", i, i + 1);
    out[n++] = '\n';
    printf("READY\n");
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
        if (write(1, out, n) != n) return 1;
    }
    return 0;
}
