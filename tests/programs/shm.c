/* The HOWTO's shmget case: a process attached to System V shared memory never migrates
 * (cantmove: mem_lock) and keeps working.   usage: shm [seconds] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char** argv) {
    int seconds = argc > 1 ? atoi(argv[1]) : 30;
    int id = shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600);
    if (id < 0) return 2;
    char* p = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL); /* gone when we detach or die */
    if (p == (char*)-1) return 3;
    for (int i = 0; i < seconds * 10; ++i) {
        memset(p, i, 4096);
        usleep(100000);
    }
    printf("shm done\n");
    return 0;
}
