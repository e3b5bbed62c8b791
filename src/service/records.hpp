#pragma once
// The records the interfaces show, named in the service's vocabulary.
//
// They are the store's own types: a run, its events, a history filter, a timestamp, and the two
// errors a state database call can end in. The interfaces (src/http, and the CLI where it talks
// to a daemon) read them through the service and never include the store, so that one layer
// decides how runs are read and written; naming them here keeps that rule visible in the
// includes without copying each record into a second, identical struct.
#include "store/run_status.hpp"
#include "store/run_store.hpp"
#include "store/store_error.hpp"
#include "store/timestamp.hpp"

namespace maintd::service {

using store::HistoryFilter;
using store::RunEvent;
using store::RunId;
using store::RunRecord;
using store::RunStatus;
using store::Timestamp;
using store::Trigger;

using store::format_timestamp;
using store::parse_run_status;
using store::parse_trigger;
using store::to_string;

// A state database call failed (500), or could not be made in time (503: StoreUnavailable).
// Messages name the database, never its password.
using store::StoreError;
using store::StoreUnavailable;

}  // namespace maintd::service
