import { type SecretRule, tokenRule as t } from './types';

/** Payments and commerce. */
export const PAYMENT_RULES: readonly SecretRule[] = [
  t(
    'stripe-key',
    'Stripe live key',
    ['sk_live_', 'rk_live_'],
    /\b[rs]k_live_[A-Za-z0-9]{20,}\b/g,
    'https://docs.stripe.com/keys#obtain-api-keys (sk_live_, rk_live_)',
  ),
  t(
    'stripe-test-key',
    'Stripe test key',
    ['sk_test_', 'rk_test_'],
    /\b[rs]k_test_[A-Za-z0-9]{20,}\b/g,
    'https://docs.stripe.com/keys#test-live-modes (sk_test_, rk_test_)',
  ),
  t(
    'stripe-webhook-secret',
    'Stripe webhook signing secret',
    ['whsec_'],
    /\bwhsec_[A-Za-z0-9+/]{32,}={0,2}/g,
    'https://docs.stripe.com/webhooks#verify-events (whsec_ secrets)',
  ),
  t(
    'square-access-token',
    'Square access token',
    ['EAAA', 'sq0atp-'],
    /\b(?:EAAA[A-Za-z0-9_-]{60}|sq0atp-[A-Za-z0-9_-]{22})\b/g,
    'https://developer.squareup.com/docs/build-basics/access-tokens',
  ),
  t(
    'square-oauth-secret',
    'Square OAuth application secret',
    ['sq0csp-'],
    /\bsq0csp-[A-Za-z0-9_-]{43}/g,
    'https://developer.squareup.com/docs/oauth-api/overview',
  ),
  t(
    'braintree-access-token',
    'PayPal Braintree access token',
    ['access_token$'],
    /\baccess_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}\b/g,
    'https://developer.paypal.com/braintree/docs/guides/authorization/overview (access_token$production$…)',
  ),
  ...(['shpat_', 'shpca_', 'shppa_', 'shpss_'] as const).map((prefix) =>
    t(
      `shopify-${{ shpat_: 'access-token', shpca_: 'custom-app-token', shppa_: 'private-app-token', shpss_: 'shared-secret' }[prefix]}`,
      `Shopify ${{ shpat_: 'access token', shpca_: 'custom app access token', shppa_: 'private app access token', shpss_: 'shared secret' }[prefix]}`,
      [prefix],
      new RegExp(`\\b${prefix}[a-fA-F0-9]{32}\\b`, 'g'),
      `https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens (${prefix})`,
    ),
  ),
  t(
    'flutterwave-secret-key',
    'Flutterwave secret key',
    ['FLWSECK'],
    /\bFLWSECK(?:_TEST)?-[a-f0-9]{32}-X\b/g,
    'https://developer.flutterwave.com/docs/authentication (FLWSECK- keys)',
  ),
  t(
    'plaid-access-token',
    'Plaid access token',
    ['access-production-', 'access-sandbox-', 'access-development-'],
    /\baccess-(?:production|sandbox|development)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}\b/g,
    'https://plaid.com/docs/api/tokens/#token-exchange-flow (access-<env>-<uuid>)',
  ),
  t(
    'easypost-api-key',
    'EasyPost API key',
    ['EZAK', 'EZTK'],
    /\bEZ[AT]K[a-f0-9]{54}\b/g,
    'https://docs.easypost.com/docs/authentication (EZAK production, EZTK test)',
  ),
  t(
    'shippo-api-token',
    'Shippo API token',
    ['shippo_live_', 'shippo_test_'],
    /\bshippo_(?:live|test)_[a-f0-9]{40}\b/g,
    'https://docs.goshippo.com/docs/guides_general/authentication/',
  ),
  t(
    'duffel-api-token',
    'Duffel API token',
    ['duffel_live_', 'duffel_test_'],
    /\bduffel_(?:live|test)_[A-Za-z0-9_=-]{43}/g,
    'https://duffel.com/docs/api/overview/making-requests/authentication',
  ),
  t(
    'razorpay-key-secret',
    'Razorpay key secret',
    ['RAZORPAY', 'razorpay', 'Razorpay'],
    /(?:RAZORPAY|[Rr]azorpay)_?(?:KEY_)?(?:SECRET|[Ss]ecret)["']?\s*[:=]\s*["']?([A-Za-z0-9]{24})\b/g,
    'https://razorpay.com/docs/api/authentication/ (key secret, 24 characters)',
  ),
];
