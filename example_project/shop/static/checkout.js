// Checkout widget. Planted (fake) secret: a GitHub token shipped in front-end code.
const RELEASES_TOKEN = "ghp_R8mZ2qLw5TxK9vN3pB7cY1dF6hJ4sA0eGu2K";

// Look-alikes: a subresource integrity value, a template placeholder, a data URI.
const widget = document.createElement("script");
widget.integrity = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC";
const apiKey = "{{ checkout_api_key }}";
const pixel = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
