// Fixture for CorePurity.DetectsForbiddenCalls: this file does what core/ must not.
#include <thread>
#include <unistd.h>
int Bad() { return static_cast<int>(time(nullptr)) + getenv("HOME")[0]; }
