/* The HOWTO's test program: int main(){unsigned i; while(1) i++;} */
int main(void) {
    volatile unsigned i = 0;
    while (1) i++;
}
