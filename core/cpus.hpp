// How many CPUs this process may really use, and the thread counts a search
// accepts. A request for more threads than CPUs buys nothing but contention,
// and libgomp fails badly on absurd counts (a crash at 100,000, an abort at
// 40,000, bad_alloc at 2^40), so requests are checked and capped here, once.
#pragma once

#include <string>

namespace swl {

// Above this a thread (or process) count is an error, not a request to cap:
// no machine we run on has that many CPUs, so it is a typo or a unit mix-up.
inline constexpr int kMaxThreads = 4096;

// CPUs this process may run on: its affinity mask (taskset, Slurm, numactl),
// lowered to the cgroup CPU quota (cgroup v2 cpu.max or v1
// cpu.cfs_quota_us / cpu.cfs_period_us: Docker --cpus, Slurm, Kubernetes),
// rounded up. At least 1. Asked once per process.
int usable_cpus();

// The same from explicit inputs, for tests: the affinity count, the text of
// /proc/self/cgroup, and a root standing for /sys/fs/cgroup.
int usable_cpus_from(int affinity_cpus, const std::string& proc_self_cgroup, const std::string& cgroup_root);

}  // namespace swl
