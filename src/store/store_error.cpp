#include "store/store_error.hpp"

#include "config/database_url.hpp"

namespace maintd::store {

StoreError::StoreError(const std::string& message)
    : std::runtime_error(config::mask_secrets(message)) {}

}  // namespace maintd::store
