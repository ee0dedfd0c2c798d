#include <cstdlib>
int a() { return rand(); }
void b() { std::srand(7); }
int c() { return ::rand(); }
