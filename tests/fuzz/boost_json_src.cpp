// Boost.JSON's parser and serializer, compiled into the fuzz targets with coverage instrumentation (the
// Debian library is not instrumented), so the JSON readers' fuzzers see the grammar's branches: negative
// and fractional numbers, exponents, escapes. The targets' definitions take precedence over the shared
// library's.
#include <boost/json/src.hpp>
