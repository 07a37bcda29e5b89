#include <doctest/doctest.h>  // the demo shop tests arrive with the demo shop
