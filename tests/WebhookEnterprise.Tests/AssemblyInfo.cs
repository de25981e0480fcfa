// The tests start real servers and processes on a two-core machine; one class at a time keeps
// their timing honest.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
