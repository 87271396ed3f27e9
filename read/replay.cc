#include "read/replay.h"
