// A harness (test only): may use the simulator.
#include "sim/world.h"
