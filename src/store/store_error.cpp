#include "store/store_error.hpp"

#include "connection/database_url.hpp"

namespace maintd::store {

StoreError::StoreError(const std::string& message)
    : std::runtime_error(connection::mask_secrets(message)) {}

}  // namespace maintd::store
