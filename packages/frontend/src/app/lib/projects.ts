import type { Project } from '@frameproof/core';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';

let asked: Promise<Project[]> | undefined;

/** The projects of the person signed in (admins: all), asked once per page load. */
export function projects(): Promise<Project[]> {
  asked ??= api.listProjects().then(
    (r) => r.items,
    () => {
      asked = undefined;
      return [];
    },
  );
  return asked;
}

/** Forgets the list (an admin created or renamed a project). */
export function forgetProjects(): void {
  asked = undefined;
}

export function useProjects(): Project[] {
  const [list, setList] = useState<Project[]>([]);
  useEffect(() => {
    let live = true;
    void projects().then((p) => live && setList(p));
    return () => {
      live = false;
    };
  }, []);
  return list;
}

/** The projects one may add assets to: where one is an editor (admins: all). */
export const uploadTargets = (list: Project[]) => list.filter((p) => p.role === null || p.role === 'editor');
