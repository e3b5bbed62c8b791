# End-to-end tests of the real `maintd serve` binary: fork/exec it, signal it, kill it, and read
# what it recorded through the store API. Included from tests/CMakeLists.txt, so
# CMAKE_CURRENT_SOURCE_DIR is tests/.
#
# Each TEST_CASE is a CTest test of its own (so `ctest -j` runs them side by side), labelled e2e,
# with a hard TIMEOUT well above its own internal deadlines: no test can hold CI.
#
# COST: these tests wait for real seconds (5-35 s each, against well under 1 s for most others).
# A fresh clone has no timing history, so CTest would start them in declaration order, last, and
# the run would end with them alone; a higher COST starts them first, beside the short ones.

# SQLite state database: timing, signals, crashes, exit codes.
file(GLOB e2e_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/e2e/*.cpp)
maintd_test_suite(e2e_tests PREFIX "e2e: " SOURCES ${e2e_test_sources}
                  LINKS maintd_store Boost::headers NEEDS_BINARY
                  PCH fmt json soci sqlite doctest LABEL e2e TIMEOUT 90 COST 10)

# PostgreSQL state database (tests/support starts a throwaway server): several instances on one
# database, and the server going away under a running daemon.
file(GLOB e2e_postgres_test_sources CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/e2e/postgres/*.cpp)
maintd_test_suite(e2e_postgres_tests PREFIX "e2e postgres: " SOURCES ${e2e_postgres_test_sources}
                  LINKS maintd_store maintd_test_postgres soci::postgresql NEEDS_BINARY
                  LABEL e2e-postgres TIMEOUT 150 COST 60)
