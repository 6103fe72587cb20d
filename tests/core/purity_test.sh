#!/usr/bin/env bash
# Fails when any file under the given core/ directory includes or calls the
# operating system, threads, clocks, OS randomness, the environment, or
# httplib/spdlog. core/ reaches the world only through core/env (rule 1).
set -u
root=${1:?usage: purity_test.sh CORE_DIR}
[ -d "$root" ] || { echo "no such directory: $root"; exit 2; }

includes='#[[:space:]]*include[[:space:]]*[<"](thread|mutex|shared_mutex|condition_variable|future|atomic|semaphore|stop_token|fstream|iostream|filesystem|random|chrono|ctime|time\.h|csignal|signal\.h|unistd\.h|fcntl\.h|pthread\.h|dirent\.h|dlfcn\.h|sys/[a-z_]+\.h|netinet/[a-z_]+\.h|arpa/[a-z_]+\.h|netdb\.h|httplib\.h|spdlog/[a-z_/]+\.h|CLI/[A-Za-z_/]+\.hpp)[">]'
calls='(^|[^A-Za-z0-9_:.>])(::)?(open|fopen|freopen|socket|connect|accept|listen|fsync|fdatasync|pread|pwrite|write|read|close|unlink|rename|mkdir|opendir|usleep|sleep|nanosleep|time|clock_gettime|gettimeofday|rand|srand|random|drand48|getenv|setenv|putenv|system|popen|fork|execv|execvp|execl|exit|_exit|signal|raise|printf|puts)[[:space:]]*\('
tokens='std::(thread|jthread|mutex|lock_guard|unique_lock|condition_variable|async|future|promise|this_thread|chrono|random_device|mt19937|cout|cerr|clog|cin|filesystem|ifstream|ofstream|fstream)\b|random_device|httplib::|spdlog::'

found=0
while IFS= read -r -d '' f; do
  # Strip // comments so prose may name what it forbids.
  hits=$(sed -E 's://.*$::' "$f" | grep -nE "$includes|$calls|$tokens" || true)
  if [ -n "$hits" ]; then
    found=1
    while IFS= read -r line; do echo "$f:$line"; done <<<"$hits"
  fi
done < <(find "$root" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' -o -name '*.cpp' \) -print0)

if [ $found -ne 0 ]; then
  echo "FAIL: core/ must reach the world only through core/env (DEVELOPERS.md rule 1)."
  exit 1
fi
echo "core/ is pure: no OS, thread, clock, randomness or httplib use found under $root"
