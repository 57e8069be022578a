/* global window */
// The starting frontend settings for AWS, copied into the configuration bucket by
// `npm run config` (which fills in the domain and the media bucket's origin). Edit the copy in
// the bucket: writing it redeploys the frontend, whose new tasks read it.
window.frameproofSettings = {
  // The API and the event bus are behind the same load balancer as the app.
  apiUrl: '',
  // Sign in with Keycloak, at /auth on the same domain.
  oidc: {
    issuer: 'https://{{DOMAIN}}/auth/realms/frameproof',
    clientId: 'frameproof-frontend',
    scope: 'openid profile email',
  },
  // Media is read, and uploads are sent, straight from and to the media bucket.
  mediaOrigins: ['{{MEDIA_ORIGIN}}'],
  features: { upload: true, exports: true },
};
