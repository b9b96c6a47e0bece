#include "testutil.h"
int main(void){CHECK(1);return 0;}
