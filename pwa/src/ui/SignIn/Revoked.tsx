import { useState } from "preact/hooks";
import { accountDeleted, logout } from "../../data/index.ts";
import { errorMessage } from "../common/notice.tsx";
import "./SignIn.css";

/**
 * Shown when this device's session was ended from another device, or its
 * account was deleted there.
 */
export function Revoked() {
  const [error, setError] = useState("");
  const onSignIn = async () => {
    try {
      // Wipes the local copy of the account, then the sign-in screen shows.
      await logout();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  return (
    <div class="sign-in">
      <div class="sign-in__panel sign-in__form">
        {accountDeleted.value ? (
          <>
            <h1>Account deleted</h1>
            <p class="sign-in__lead">
              This account was deleted on another device, and its data was
              removed from this one.
            </p>
          </>
        ) : (
          <>
            <h1>Logged out</h1>
            <p class="sign-in__lead">This device was logged out.</p>
          </>
        )}
        <p class="form-error" role="alert">
          {error}
        </p>
        <button type="button" class="button" onClick={() => void onSignIn()}>
          {accountDeleted.value ? "Sign up" : "Sign in again"}
        </button>
      </div>
    </div>
  );
}
