/**
 * The client's MLS core: device identity, KeyPackages, one group per chat,
 * and message encryption. It pulls in ts-mls, so load it with `import()`
 * only, never from a module of the first screen.
 */
export { MlsOperationError, type MlsErrorCode } from "./errors.ts";
export {
  addDevices,
  commitChanges,
  createGroup,
  removeDevices,
  type ClaimedKeyPackages,
} from "./group.ts";
export { memberLeaves, type MemberLeaf } from "./group-state.ts";
export {
  credentialIdentity,
  loadIdentity,
  loadOrCreateIdentity,
  type DeviceIdentity,
} from "./identity.ts";
export {
  joinFromWelcome,
  processCommit,
  type CommitOutcome,
} from "./incoming.ts";
export { generateKeyPackages } from "./key-packages.ts";
export { decryptMessage, encryptMessage } from "./messages.ts";
export {
  compareCode,
  groupDigits,
  qrPayload,
  safetyNumber,
  type CodeComparison,
  type SafetyNumber,
} from "./safety-number.ts";
export { MlsStore } from "./store.ts";
export { RETAINED_EPOCHS } from "./suite.ts";
export {
  chatSafetyNumber,
  checkKeyChanges,
  type ChatSafetyNumber,
} from "./verification.ts";
