// Dexie reads the IndexedDB globals when its module loads, so the in-memory
// IndexedDB must be installed before any test file imports the data layer.
import "fake-indexeddb/auto";
