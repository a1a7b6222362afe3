import { useEffect, useState } from "preact/hooks";
import { listDevices, revokeDevice, type Device } from "../../data/index.ts";
import { Icon } from "../Chat/icons.tsx";
import { errorMessage } from "../common/notice.tsx";
import { formatLastActive } from "../format.ts";
import { goBack } from "../router.ts";
import "./Settings.css";

/** The account's signed-in devices; any but this one can be logged out. */
export function LinkedDevices() {
  const [devices, setDevices] = useState<Device[] | undefined>(undefined);
  const [error, setError] = useState("");

  const refresh = async () => {
    try {
      setDevices(await listDevices());
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  useEffect(() => {
    void refresh();
  }, []);

  const onRevoke = async (device: Device) => {
    setError("");
    try {
      await revokeDevice(device.id);
      await refresh();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <div class="screen">
      <header class="screen__header">
        <button
          type="button"
          class="icon-button"
          aria-label="Back"
          onClick={() => goBack("/settings")}
        >
          <Icon name="back" />
        </button>
        <h1>Linked devices</h1>
      </header>
      <div class="screen__body">
        <p class="field__hint">
          Every browser where you signed in is a device. Log out a device you no
          longer use or do not recognise.
        </p>
        <p class="form-error" role="alert">
          {error}
        </p>
        {devices === undefined ? (
          error === "" && <p>Loading…</p>
        ) : (
          <ul class="devices" role="list" aria-label="Linked devices">
            {devices.map((device) => (
              <DeviceRow
                key={device.id}
                device={device}
                onRevoke={() => void onRevoke(device)}
              />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function DeviceRow(props: { device: Device; onRevoke: () => void }) {
  const { device } = props;
  return (
    <li class="devices__item">
      <span class="devices__text">
        <span class="devices__name">{device.name}</span>
        {device.current && <span class="devices__current">This device</span>}
        <span class="field__hint">
          Last active {formatLastActive(device.lastActiveAt)}
        </span>
      </span>
      {!device.current && (
        <button
          type="button"
          class="button button--secondary"
          aria-label={`Log out ${device.name}`}
          onClick={props.onRevoke}
        >
          Log out
        </button>
      )}
    </li>
  );
}
