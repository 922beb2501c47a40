// Boost.JSON, compiled once for the test support library (the tests parse /status and JSON
// access-log lines with it).
#include <boost/json/src.hpp>
