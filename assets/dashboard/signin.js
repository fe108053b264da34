// Signing in: a phone and the code texted to it (only operators and admins get in), or the
// operator token pasted as it is. Either way the token is checked against an operators-only
// endpoint before it is kept.

import { ApiError, api, keep } from './api.js';

const OPERATING = ['operator', 'admin'];
/** How long the "text me a code" button rests after a code is sent (the server refuses sooner). */
const RESEND_SECONDS = 60;

/** Wires the sign-in forms; `signedIn()` runs once a token is kept. */
export function setupSignin(signedIn) {
  const $ = (id) => document.getElementById(id);
  const message = $('signin-message');
  const say = (text, kind = 'error') => {
    message.textContent = text;
    message.dataset.kind = kind;
  };
  const busy = (button, on) => {
    button.disabled = on;
    button.setAttribute('aria-busy', on ? 'true' : 'false');
  };

  $('send-code').addEventListener('click', async () => {
    const phone = $('phone-input').value.trim();
    if (!phone) return say('Enter your phone number first.');
    const button = $('send-code');
    busy(button, true);
    try {
      await api('POST', '/api/v1/auth/sms-code', { phone, purpose: 'login' }, null);
      say(`A code was texted to ${phone}.`, 'info');
      $('code-input').focus();
      rest(button);
    } catch (e) {
      say(explain(e));
      busy(button, false);
    }
  });

  $('phone-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const phone = $('phone-input').value.trim();
    const code = $('code-input').value.trim();
    if (!phone || !code) return say('Enter your phone number and the code texted to it.');
    const button = $('login-submit');
    busy(button, true);
    try {
      const signed = await api('POST', '/api/v1/auth/login', { phone, code }, null);
      if (!OPERATING.includes(signed?.user?.role)) {
        say('This dashboard is for operators and admins only.');
        return;
      }
      keep(signed.token, `${signed.user.nickname || phone} (${signed.user.role})`);
      signedIn();
    } catch (e) {
      say(explain(e));
    } finally {
      busy(button, false);
    }
  });

  $('token-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const pasted = $('token-input').value.trim();
    if (!pasted) return say('Paste the operator token.');
    const button = $('token-submit');
    busy(button, true);
    try {
      // Operators only: a driver's token is refused here (403).
      await api('GET', '/api/v1/users?pageSize=1', undefined, pasted);
      keep(pasted, 'operator token');
      $('token-input').value = '';
      signedIn();
    } catch (e) {
      say(explain(e));
    } finally {
      busy(button, false);
    }
  });
}

/** Disables `button` for RESEND_SECONDS, counting down on it. */
function rest(button) {
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  let left = RESEND_SECONDS;
  const tick = () => {
    if (left <= 0) {
      button.textContent = label;
      button.disabled = false;
      button.setAttribute('aria-busy', 'false');
      return;
    }
    button.textContent = `${label} (${left--} s)`;
    setTimeout(tick, 1000);
  };
  tick();
}

/** A refusal as a sentence. */
function explain(error) {
  if (!(error instanceof ApiError)) return String(error);
  switch (error.code) {
    case 'unauthorized':
      return 'That token is not valid.';
    case 'forbidden':
      return 'This dashboard is for operators and admins only.';
    case 'not_registered':
      return 'No account has this phone number.';
    case 'wrong_code':
      return 'That code is wrong.';
    case 'code_burned':
      return 'Too many wrong codes: ask for a new one.';
    case 'code_sent_recently':
      return 'A code was sent less than a minute ago: wait, then ask again.';
    default:
      return error.message || `Sign-in failed (${error.status}).`;
  }
}
