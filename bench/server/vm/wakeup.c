/* Round trip between two threads through a pair of pipes, with 0, 1 or 2 extra threads that
 * keep the CPUs busy by yielding in a loop. On a virtual machine whose idle CPUs halt, a
 * wake-up that has to bring an idle CPU back costs far more than one that finds it busy; this
 * measures how much (see ../NOTES.md, "The single-client figure").
 *
 *   gcc -O2 -pthread wakeup.c -o wakeup && ./wakeup 0 && ./wakeup 1 && ./wakeup 2
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int to_echo[2], from_echo[2];
static volatile int stop;

static void *echo(void *unused) {
    char c;
    (void)unused;
    while (read(to_echo[0], &c, 1) == 1 && write(from_echo[1], &c, 1) == 1) {
    }
    return NULL;
}

static void *yielder(void *unused) {
    (void)unused;
    while (!stop) sched_yield();
    return NULL;
}

int main(int argc, char **argv) {
    int yielders = argc > 1 ? atoi(argv[1]) : 0, rounds = 50000;
    pthread_t t;
    char c = 'x';
    struct timespec t0, t1;
    if (yielders < 0 || yielders > 8 || pipe(to_echo) || pipe(from_echo)) return 2;
    pthread_create(&t, NULL, echo, NULL);
    for (int i = 0; i < yielders; i++) pthread_create(&t, NULL, yielder, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < rounds; i++) {
        if (write(to_echo[1], &c, 1) != 1 || read(from_echo[0], &c, 1) != 1) return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    stop = 1;
    printf("%d yielding thread(s): round trip %.1f us\n", yielders,
           ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / rounds);
    return 0;
}
