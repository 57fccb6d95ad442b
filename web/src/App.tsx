import { useCallback, useEffect, useState } from "react";
import { api, setUnauthorizedHandler } from "./lib/api";
import { navigate, useRoute } from "./lib/router";
import type { Me } from "./lib/types";
import { FullPageLoading } from "./components/ui";
import { ToastHost } from "./components/toast";
import { LoginPage } from "./pages/LoginPage";
import { SessionsPage } from "./pages/SessionsPage";
import { GalleryPage } from "./pages/GalleryPage";
import { ProfilePage } from "./pages/ProfilePage";
import { BillingPage } from "./pages/BillingPage";
import { InvitationsPage } from "./pages/InvitationsPage";
import { AppsPage } from "./pages/AppsPage";
import { ModelsPage } from "./pages/ModelsPage";
import { StudioPage } from "./studio/StudioPage";

export function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null | undefined>(undefined);

  const loadMe = useCallback(() => {
    api.me().then(setMe, () => setMe(null));
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => setMe(null));
    loadMe();
  }, [loadMe]);

  useEffect(() => {
    if (me === null && route.name !== "login") navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
  }, [me, route.name]);

  if (me === undefined) return <FullPageLoading label="Opening Mini AI Studio…" />;
  if (me === null || route.name === "login") {
    return (
      <>
        <LoginPage onSignedIn={(user) => setMe(user)} signedIn={me !== null} />
        <ToastHost />
      </>
    );
  }
  return (
    <>
      {route.name === "sessions" && <SessionsPage me={me} />}
      {route.name === "studio" && <StudioPage key={route.id} sessionId={route.id} me={me} />}
      {route.name === "gallery" && <GalleryPage me={me} />}
      {route.name === "billing" && <BillingPage me={me} />}
      {route.name === "invitations" && <InvitationsPage me={me} />}
      {route.name === "apps" && <AppsPage me={me} />}
      {route.name === "models" && <ModelsPage me={me} />}
      {route.name === "profile" && <ProfilePage me={me} tab={route.tab} onSignedOut={() => setMe(null)} />}
      <ToastHost />
    </>
  );
}
