# Forks until the kernel refuses, then prints why ("fork failed: EAGAIN") or
# "no limit"; used by ResourceTests and tests/vm/cgroup-v2.sh.
import errno
import os
import time

children = []
try:
    for _ in range(50):
        pid = os.fork()
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        children.append(pid)
    print("no limit")
except OSError as error:
    print("fork failed:", errno.errorcode[error.errno])
for pid in children:
    os.kill(pid, 9)
