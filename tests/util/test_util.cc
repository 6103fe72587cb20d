#include "tests/util/test_util.h"
