import { useEffect, useState } from "react";
import { api } from "../../lib/api";

/** The kinds of model the studio has installed (null until known, or when the list cannot be read). */
export function useInstalledModelKinds(): ReadonlySet<string> | null {
  const [kinds, setKinds] = useState<ReadonlySet<string> | null>(null);
  useEffect(() => {
    let live = true;
    api.models().then(
      (r) => live && setKinds(new Set(r.models.filter((m) => m.installed).map((m) => m.kind))),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return kinds;
}
