//! The in-memory store passes the behaviour suite every `UserAdapter` must pass.

use portcullis::MemoryAdapter;
use portcullis_testkit::store::behaves_like_a_store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_adapter_behaves_like_a_store() {
    behaves_like_a_store(|| async { MemoryAdapter::<String>::new() }).await;
}
