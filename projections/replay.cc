#include "projections/replay.h"
