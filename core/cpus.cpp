#include "cpus.hpp"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

namespace swl {

namespace {

int affinity_cpus() {
  // Sized for machines beyond CPU_SETSIZE (1024) CPUs.
  for (int size = 1024; size <= (1 << 20); size *= 4) {
    cpu_set_t* set = CPU_ALLOC(size);
    if (set == nullptr) break;
    const std::size_t bytes = CPU_ALLOC_SIZE(size);
    CPU_ZERO_S(bytes, set);
    if (sched_getaffinity(0, bytes, set) == 0) {
      const int count = CPU_COUNT_S(bytes, set);
      CPU_FREE(set);
      return std::max(count, 1);
    }
    CPU_FREE(set);
    if (errno != EINVAL) break;
  }
  return 1;
}

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  if (!file) return {};
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

// CPUs a quota allows (rounded up), or 0 for no limit or no readable quota.
int quota_cpus(double quota, double period) {
  if (!(quota > 0) || !(period > 0)) return 0;
  const double cpus = std::ceil(quota / period);
  return cpus >= 1e6 ? 0 : std::max(1, static_cast<int>(cpus));
}

// cgroup v2: "max 100000" or "150000 100000".
int cpu_max_cpus(const std::string& path) {
  std::istringstream text(read_text(path));
  std::string quota;
  double period = 0;
  if (!(text >> quota >> period) || quota == "max") return 0;
  try {
    return quota_cpus(std::stod(quota), period);
  } catch (const std::exception&) {
    return 0;
  }
}

// cgroup v1: quota -1 means none.
int cfs_cpus(const std::string& directory) {
  std::istringstream quota_text(read_text(directory + "/cpu.cfs_quota_us"));
  std::istringstream period_text(read_text(directory + "/cpu.cfs_period_us"));
  double quota = 0, period = 0;
  if (!(quota_text >> quota) || !(period_text >> period)) return 0;
  return quota_cpus(quota, period);
}

// The tightest limit from `directory` up to the cgroup root (a parent's
// quota binds its children too). 0: none found.
template <typename Limit>
int tightest(const std::string& root, std::string relative, Limit limit) {
  int best = 0;
  while (true) {
    const int here = limit(root + relative);
    if (here > 0) best = best == 0 ? here : std::min(best, here);
    if (relative.empty() || relative == "/") break;
    const std::size_t slash = relative.find_last_of('/');
    relative = slash == std::string::npos || slash == 0 ? std::string() : relative.substr(0, slash);
  }
  return best;
}

int cgroup_cpus(const std::string& proc_self_cgroup, const std::string& root) {
  int best = 0;
  const auto keep = [&](int cpus) {
    if (cpus > 0) best = best == 0 ? cpus : std::min(best, cpus);
  };
  std::istringstream lines(proc_self_cgroup);
  for (std::string line; std::getline(lines, line);) {
    // "hierarchy-id:controllers:path"; v2 is "0::/path".
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (path == "/") path.clear();
    if (controllers.empty()) {
      keep(tightest(root, path, [](const std::string& d) { return cpu_max_cpus(d + "/cpu.max"); }));
      continue;
    }
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) {
      if (name != "cpu") continue;
      // v1 mounts the cpu controller as cpu, cpu,cpuacct or cpuacct,cpu.
      for (const char* mount : {"/cpu", "/cpu,cpuacct", "/cpuacct,cpu"}) {
        keep(tightest(root + mount, path, [](const std::string& d) { return cfs_cpus(d); }));
      }
    }
  }
  // In a container with its own cgroup namespace the paths above are
  // relative to a root we may not see; its own limits sit at the root.
  keep(cpu_max_cpus(root + "/cpu.max"));
  keep(cfs_cpus(root + "/cpu"));
  keep(cfs_cpus(root + "/cpu,cpuacct"));
  return best;
}

}  // namespace

int usable_cpus_from(int affinity, const std::string& proc_self_cgroup, const std::string& cgroup_root) {
  const int quota = cgroup_cpus(proc_self_cgroup, cgroup_root);
  const int cpus = quota > 0 ? std::min(affinity, quota) : affinity;
  return std::clamp(cpus, 1, kMaxThreads);
}

int usable_cpus() {
  static const int cpus = usable_cpus_from(affinity_cpus(), read_text("/proc/self/cgroup"), "/sys/fs/cgroup");
  return cpus;
}

}  // namespace swl
