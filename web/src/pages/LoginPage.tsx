import { useState, type FormEvent } from "react";
import { api, errorText } from "../lib/api";
import { navigate } from "../lib/router";
import type { Me } from "../lib/types";
import { Logo, Spinner } from "../components/ui";

export function LoginPage({ onSignedIn, signedIn }: { onSignedIn: (me: Me) => void; signedIn: boolean }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (signedIn) {
    queueMicrotask(() => navigate("/", true));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(email.trim(), password);
      const me = await api.me();
      const next = new URLSearchParams(location.search).get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("/login") ? next : "/", true);
      onSignedIn(me);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login-page">
      <form className="login-card" onSubmit={submit} aria-label="Sign in">
        <Logo />
        <h1>Sign in to your studio</h1>
        <p className="muted">Build, run and refine media workflows with your team.</p>
        <label className="field">
          <span>Email</span>
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required aria-label="Email" autoFocus />
        </label>
        <label className="field">
          <span>Password</span>
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required aria-label="Password" />
        </label>
        {error && <div className="form-error" role="alert">{error}</div>}
        <button className="btn btn-primary btn-block" type="submit" disabled={busy} aria-label="Sign in">
          {busy ? <Spinner label="Signing in" /> : "Sign in"}
        </button>
        <p className="muted small">No account yet? An admin creates one with <code>miniaistudio users create</code>.</p>
      </form>
    </main>
  );
}
