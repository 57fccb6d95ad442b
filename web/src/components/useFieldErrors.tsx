import { useCallback, useState, type ReactNode } from "react";
import { errorText } from "../lib/api";
import { failingFields } from "../lib/keysApi";
import { toast } from "./toast";

/**
 * Per-field messages of a refused form (the door's `details.fields`), shown under each input;
 * a refusal that names no field becomes a toast.
 */
export function useFieldErrors() {
  const [fields, setFields] = useState<Record<string, string>>({});
  const clear = useCallback(() => setFields({}), []);
  const fail = useCallback((e: unknown) => {
    const failing = failingFields(e);
    setFields(failing);
    if (Object.keys(failing).length === 0) toast(errorText(e), "error");
  }, []);
  const fieldError = (prefix: string): ReactNode =>
    Object.entries(fields)
      .filter(([field]) => field === prefix || field.startsWith(`${prefix}.`))
      .map(([field, message]) => (
        <p key={field} className="field-error">
          {message}
        </p>
      ));
  return { clear, fail, fieldError };
}
