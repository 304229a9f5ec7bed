/* The one header posix-ipc-sys's bindings are generated from (see gen/). */
#define _GNU_SOURCE 1 /* semtimedop, MSG_EXCEPT, SHM_* Linux flags */
#include <fcntl.h>
#include <semaphore.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/msg.h>
