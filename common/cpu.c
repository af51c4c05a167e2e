/* CPU count for the default --jobs: sched_getaffinity, capped by the cgroup v2 quota. */
#define _GNU_SOURCE
#include "cpu.h"

#include <sched.h>
#include <stdio.h>
#include <unistd.h>

static int cgroup_cpus(void)
{
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (!f)
        return 0;
    char quota[32] = "";
    unsigned long long period = 0;
    int n = fscanf(f, "%31s %llu", quota, &period);
    fclose(f);
    if (n != 2 || period == 0 || quota[0] < '0' || quota[0] > '9')
        return 0; /* "max": no quota */
    unsigned long long q = 0;
    if (sscanf(quota, "%llu", &q) != 1 || q == 0)
        return 0;
    unsigned long long cpus = (q + period - 1) / period;
    return cpus > 4096 ? 4096 : (int)cpus;
}

int pith_cpu_count(void)
{
    int n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    if (n > 4096)
        n = 4096;
    int cg = cgroup_cpus();
    if (cg > 0 && cg < n)
        n = cg;
    return n;
}
