/* How many CPUs this process may use (the default for --jobs). */
#ifndef PITH_COMMON_CPU_H
#define PITH_COMMON_CPU_H

/* CPUs in the affinity mask, capped by the cgroup v2 quota (/sys/fs/cgroup/cpu.max);
 * at least 1, at most 4096. */
int pith_cpu_count(void);

#endif
