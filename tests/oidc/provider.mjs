// A real OpenID Connect provider for viewpoint's sign-in tests: oidc-provider (OpenID
// Certified) on 127.0.0.1, with its development login page, where any login is accepted
// and becomes the person's email address. Started and stopped by tests/oidc.py.
//
//   node provider.mjs <port> <client_id> <client_secret> <redirect_uri> <post_logout_uri>
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri, postLogoutUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

// Who belongs to which group of the council's directory: a login with "manager" in it is in
// the team managers' group of the North team.
function groupsOf(login) {
  return login.includes("manager") ? ["viewpoint-north-managers"] : ["all-staff"];
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    grant_types: ["authorization_code"],
    response_types: ["code"],
  }],
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "groups"],
  },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      email: id,
      email_verified: !id.startsWith("unverified"),
      name: id.split("@")[0].replace(/[._]/g, " "),
      groups: groupsOf(id),
    }),
  }),
  conformIdTokenClaims: false,
  cookies: { keys: ["viewpoint-tests-only"] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
});
provider.proxy = false;

const server = provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening ${issuer}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
