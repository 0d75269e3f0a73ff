import { Image, Text, View } from '@tarojs/components'
import './index.scss'

/**
 * A product's picture (products.image_path: a file shipped with the app under /assets/products,
 * or an https URL); without one, the first characters of its name on the accent tint. The
 * caller's class sizes it.
 */
export default function ProductPicture({ name, image, className, chars = 2 }: { name: string; image: string | null; className?: string; chars?: number }) {
  if (image) {
    return <Image className={`product-picture ${className ?? ''}`} src={image} mode='aspectFill' data-testid='product-image' />
  }
  return (
    <View className={`product-picture product-picture--text ${className ?? ''}`}>
      <Text className='product-picture__text'>{name.slice(0, chars)}</Text>
    </View>
  )
}
