// Shared main for the gtest binaries: GoogleMock, plus rapidcheck's listener
// so that a failing RC_ASSERT inside a gmock expectation fails the property.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  return RUN_ALL_TESTS();
}
