/* global window */
// Where the API and the event bus are, the identity provider, and which features to show.
// Served as /settings.js. On AWS the configuration bucket's frontend/settings.js replaces it.
// The static server runs it once at start to build its Content-Security-Policy from these origins.
window.frameproofSettings = {
  apiUrl: '',
  oidc: null,
  features: { upload: true, exports: true },
};
