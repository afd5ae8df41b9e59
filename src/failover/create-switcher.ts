import { FileReloadSwitcher } from './file-reload-switcher';
import { HttpSwitcher } from './http-switcher';
import type { Site } from './site-schema';
import type { Switcher } from './switcher';

/** The switcher a site's plan describes. Cheap: no I/O until current()/switchTo(). */
export function createSwitcher(site: Site): Switcher {
  const spec = site.switcher;
  return spec.type === 'http' ? new HttpSwitcher(spec, site) : new FileReloadSwitcher(spec, site);
}
