#include <malloc.h>

#include <iostream>

#include "cli/app.hpp"

int main(int argc, char** argv) {
  // A fixed trim threshold (glibc's default, 128 KiB), which also stops glibc from raising it
  // each time a large block is freed. The schedule files are read on several threads, each
  // with its own malloc arena, and malloc_trim never releases the free memory at the top of
  // those arenas: with the raised threshold they kept megabytes each (100,000 tasks: 1,099
  // bytes per task above a 1-task daemon; about 815 with this, 872 when one thread read them).
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  return maintd::cli::run(argc, argv, std::cout, std::cerr);
}
