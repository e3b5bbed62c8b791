#pragma once
// A file that breaks a layering rule on purpose: check_layers.cmake must name it (layers_tests).

#include "store/run_store.hpp"
