"""The organization's own archive: its name, tagline, About text, contact and logo (SiteIdentity),
edited by a superuser in the admin and shown on every page, feed, citation and the admin itself."""
