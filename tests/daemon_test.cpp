#include <doctest/doctest.h>  // placeholder: tests arrive with their unit
