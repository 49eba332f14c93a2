/**
 * The tracked tools of a room in 3D (three.js): each tool a sphere at its position, with a cone
 * along its z axis turned by its orientation, over a floor grid in millimetres. Redrawn only
 * when a pose arrives, so a room at rest costs nothing. Without WebGL (a browser with it turned
 * off, no GPU and no software fallback) it says so; the positions stay written out beside it.
 */
import { useEffect, useRef, useState } from 'react';
import { labels } from '../labels.ts';
import * as THREE from 'three';
import type { ToolPose } from './model.ts';

const COLOURS = [0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd, 0xff7f0e, 0x17becf];

export function ToolScene({ poses }: { poses: ToolPose[] }) {
  const element = useRef<HTMLDivElement>(null);
  const scene = useRef<{ renderer: THREE.WebGLRenderer; scene: THREE.Scene; camera: THREE.PerspectiveCamera; tools: Map<string, THREE.Group> } | undefined>(undefined);
  const [noWebGl, setNoWebGl] = useState(false);

  useEffect(() => {
    const host = element.current;
    if (!host) return;
    let renderer: THREE.WebGLRenderer;
    try {
      renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    } catch {
      setNoWebGl(true);
      return;
    }
    renderer.setSize(host.clientWidth, host.clientHeight);
    host.appendChild(renderer.domElement);
    const world = new THREE.Scene();
    world.background = new THREE.Color(0xf3f5f8);
    // Patient coordinates: z up. The camera looks at the origin from the front and above.
    const camera = new THREE.PerspectiveCamera(45, host.clientWidth / host.clientHeight, 1, 20_000);
    camera.up.set(0, 0, 1);
    camera.position.set(0, -900, 600);
    camera.lookAt(0, 0, 0);
    const grid = new THREE.GridHelper(1000, 20, 0x8a96a3, 0xd0d5dc);
    grid.rotation.x = Math.PI / 2;
    world.add(grid, new THREE.AxesHelper(150), new THREE.AmbientLight(0xffffff, 0.7));
    const light = new THREE.DirectionalLight(0xffffff, 0.8);
    light.position.set(300, -500, 800);
    world.add(light);
    scene.current = { renderer, scene: world, camera, tools: new Map() };
    renderer.render(world, camera);
    return () => {
      renderer.dispose();
      host.removeChild(renderer.domElement);
      scene.current = undefined;
    };
  }, []);

  useEffect(() => {
    const current = scene.current;
    if (!current) return;
    for (const pose of poses) {
      let tool = current.tools.get(pose.tool);
      if (!tool) {
        const colour = COLOURS[current.tools.size % COLOURS.length];
        tool = new THREE.Group();
        tool.add(new THREE.Mesh(new THREE.SphereGeometry(12), new THREE.MeshStandardMaterial({ color: colour })));
        const cone = new THREE.Mesh(new THREE.ConeGeometry(8, 80, 16), new THREE.MeshStandardMaterial({ color: colour }));
        // A cone points along +y; the tool's axis is its z.
        cone.rotation.x = Math.PI / 2;
        cone.position.z = 40;
        tool.add(cone);
        current.tools.set(pose.tool, tool);
        current.scene.add(tool);
      }
      tool.position.set(...pose.position);
      tool.quaternion.set(...pose.orientation);
    }
    current.renderer.render(current.scene, current.camera);
  }, [poses]);

  return <div ref={element} className="tool-scene">{noWebGl && <p role="status" className="no-webgl">{labels.noWebGl}</p>}</div>;
}
