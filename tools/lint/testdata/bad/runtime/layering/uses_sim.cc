// Production code reaching into the simulator.
#include "sim/world.h"
